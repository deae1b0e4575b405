/**
 * Whether a process with this pid exists on this host. `kill(pid, 0)` sends nothing; ESRCH means no such
 * process, EPERM means it exists but belongs to another user (so it is alive).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
