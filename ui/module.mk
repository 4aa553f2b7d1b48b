UI_SRCS += ui/main.c ui/vectors.c ui/vecfile.c ui/json.c ui/serial_watch.c
UNIT_TEST_SRCS += tests/ui/test_vecfile.c
