/* cmd: the subcommands of the symrbm program (SPEC.md 6).
 *
 * Each takes the arguments after "symrbm" (argv[0] is the subcommand name),
 * returns SYM_OK or an error code with a one-line message in err; main()
 * prints the message and exits with status 2.  A subcommand not linked in
 * yet (weak symbol) reports itself as not available.
 */
#ifndef SYM_CMD_H
#define SYM_CMD_H

int cmd_theory(int argc, char **argv, char *err) __attribute__((weak));
int cmd_phase(int argc, char **argv, char *err) __attribute__((weak));
int cmd_sample(int argc, char **argv, char *err) __attribute__((weak));
int cmd_sim(int argc, char **argv, char *err) __attribute__((weak));
int cmd_compare(int argc, char **argv, char *err) __attribute__((weak));
int cmd_threshold(int argc, char **argv, char *err) __attribute__((weak));

#endif
