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
