/* Subcommands of the amber program other than running a machine. */
#ifndef AMBER_UI_TOOLS_H
#define AMBER_UI_TOOLS_H

/* amber vectors [--verbose] FILE... (ui/vectors.c) */
int vectors_main(int argc, char **argv);

#endif
