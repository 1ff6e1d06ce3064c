/* cmd: the subcommands of the symrbm program (SPEC.md 6).
 *
 * Each takes the arguments after "symrbm" (argv[0] is the subcommand name),
 * parses them, calls one library run function and reports; it returns
 * SYM_OK or an error code with a one-line message in err, which main()
 * prints before exiting with status 2.
 */
#ifndef SYM_CMD_H
#define SYM_CMD_H

int cmd_theory(int argc, char **argv, char *err);
int cmd_phase(int argc, char **argv, char *err);
int cmd_sample(int argc, char **argv, char *err);
int cmd_sim(int argc, char **argv, char *err);
int cmd_compare(int argc, char **argv, char *err);
int cmd_threshold(int argc, char **argv, char *err);
int cmd_diffusion(int argc, char **argv, char *err);

#endif
