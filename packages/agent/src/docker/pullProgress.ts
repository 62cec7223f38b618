import { AgentError } from '@lormas/protocol';
import type { PullProgress } from './ContainerRuntime.js';

/** One line of `POST /images/create`, as the engine streams it. */
interface PullLine {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Reads one progress line of an image pull. A line with `error` is how the engine reports
 * a pull that failed after the HTTP status was already sent (a missing tag, a registry
 * that went away), so it becomes an `ENGINE_ERROR` with the engine's message.
 */
export function toPullProgress(raw: unknown): PullProgress {
  const line = (raw ?? {}) as PullLine;
  if (line.error !== undefined || line.errorDetail?.message !== undefined) {
    throw new AgentError('ENGINE_ERROR', line.errorDetail?.message ?? line.error ?? 'the image pull failed');
  }
  const progress: PullProgress = { status: line.status ?? '' };
  // Every line with an `id` is about one layer, except `Pulling from <repo>`, whose `id` is the tag.
  if (line.id !== undefined && !progress.status.startsWith('Pulling from')) progress.layer = line.id;
  const { current, total } = line.progressDetail ?? {};
  if (current !== undefined) progress.currentBytes = current;
  if (total !== undefined) progress.totalBytes = total;
  return progress;
}
