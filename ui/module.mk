UI_SRCS += ui/main.c ui/vectors.c ui/vecfile.c ui/json.c ui/serial_watch.c ui/screenshot.c \
           ui/serial_console.c
UNIT_TEST_SRCS += tests/ui/test_vecfile.c tests/ui/test_screenshot.c tests/ui/test_serial_console.c
# PNG screenshots (ui/screenshot.c) use libpng.
LDLIBS += $(shell pkg-config --libs libpng)
$(call obj,ui/screenshot.c tests/ui/test_screenshot.c): CFLAGS += $(shell pkg-config --cflags libpng)
