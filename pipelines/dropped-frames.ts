// Stream decoders skip upstream frames that are not JSON (a proxy's banner, a
// torn keep-alive) rather than failing the answer. Skipping silently hides a
// misbehaving upstream, so each skip is reported here; pipelines/ cannot log,
// so the gateway installs the reporter (rate-limited there).
export type DroppedFrameReporter = (format: string, frame: string) => void;

let reporter: DroppedFrameReporter | undefined;

export function onDroppedFrame(r: DroppedFrameReporter | undefined): void {
  reporter = r;
}

export function dropFrame(format: string, frame: string): void {
  reporter?.(format, frame);
}
