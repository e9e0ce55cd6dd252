// Read the Dockerfile's stages, so the image test runs the same steps the
// image build runs (without Docker).
import { readFileSync } from 'node:fs';

export interface Stage {
  name: string;
  /** Instructions in order, continuation lines joined, comments dropped. */
  steps: Array<{ op: string; args: string }>;
}

export function readDockerfile(file: string): Stage[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const joined: string[] = [];
  let cur = '';
  for (const raw of lines) {
    if (/^\s*#/.test(raw)) continue;
    const line = raw.trimEnd();
    if (line.endsWith('\\')) {
      cur += `${line.slice(0, -1)} `;
      continue;
    }
    cur += line;
    if (cur.trim()) joined.push(cur.trim());
    cur = '';
  }
  const stages: Stage[] = [];
  for (const ins of joined) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(ins);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const args = m[2]!;
    if (op === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), steps: [] });
      continue;
    }
    stages.at(-1)?.steps.push({ op, args });
  }
  return stages;
}

/** One stage's RUN commands. */
export function runs(stages: Stage[], name: string): string[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`Dockerfile has no stage "${name}"`);
  return stage.steps.filter((s) => s.op === 'RUN').map((s) => s.args);
}
