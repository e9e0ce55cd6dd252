// Reports the upstream stream frames the decoders skipped (pipelines/dropped-frames.ts):
// one warning per format per interval with the count and a short sample, so a
// misbehaving upstream shows in the log without one line per frame.
import { onDroppedFrame } from '../../pipelines/dropped-frames.js';
import { log } from './logger.js';

const INTERVAL_MS = 10_000;
const SAMPLE_CHARS = 120;

export function reportDroppedFrames(now: () => number = Date.now): void {
  const last = new Map<string, { at: number; skipped: number }>();
  onDroppedFrame((format, frame) => {
    const t = now();
    const seen = last.get(format);
    if (seen && t - seen.at < INTERVAL_MS) {
      seen.skipped++;
      return;
    }
    const sample = frame.length > SAMPLE_CHARS ? `${frame.slice(0, SAMPLE_CHARS)}…` : frame;
    log.warn({ format, sample, alsoSkippedSinceLastWarning: seen?.skipped ?? 0 }, 'upstream stream frame is not JSON; skipped');
    last.set(format, { at: t, skipped: 0 });
  });
}
