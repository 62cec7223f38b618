/**
 * The exit status with which an agent tells its launcher "a verified build is in place as
 * `trial`: start it". 75 is sysexits' EX_TEMPFAIL: to anything but the launcher, a restart.
 */
export const EXIT_HANDOVER = 75;

/** The variable that tells an agent its launcher's pipe: write `ready` there once online. */
export const LAUNCHER_FD_VARIABLE = 'LORMAS_LAUNCHER_FD';

/**
 * The variable that tells an agent started during a handover until when (epoch ms) it is
 * still in it: fencing does not count before then, since the server holds failover for a node
 * it is upgrading and the gap is planned, not a partition.
 */
export const HANDOVER_UNTIL_VARIABLE = 'LORMAS_HANDOVER_UNTIL';

/**
 * The variable (`1`) by which a launcher tells its agent that it takes upgrade requests in
 * their own file (`LaunchRequest.ts`), being the only writer of the launch state. The
 * launcher is the installed build's and no upgrade changes it: one installed before it did
 * so reads only the trial in the launch state, and an agent started by it writes there.
 */
export const LAUNCH_REQUESTS_VARIABLE = 'LORMAS_LAUNCH_REQUESTS';
