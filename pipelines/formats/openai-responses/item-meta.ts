// Output-item fields the IR has no slot for that a Responses client must get
// back from a Responses-family upstream (the Codex backend): today the
// `phase` of assistant messages (commentary / final_answer), which gpt-5.x
// codex models expect to be sent back on later turns.
//
// The upstream's stream decoder and the client's encoder of one answer are
// both built from the same IRRequest, so the decoder leaves what it saw here,
// keyed by that request, and the encoder reads it: by output index for a
// stream, by the order of text blocks for a folded (non-stream) answer. The
// record exists only for answers that have such fields.
import type { IRRequest } from '../../ir.js';

export class ItemMeta {
  private readonly byIndex = new Map<number, string>();
  /** Phase of the k-th message block that produced text. */
  private readonly byText: Array<string | undefined> = [];

  setPhase(index: number, phase: string): void {
    this.byIndex.set(index, phase);
  }

  setTextPhase(k: number, phase: string): void {
    this.byText[k] = phase;
  }

  phaseAt(index: number): string | undefined {
    return this.byIndex.get(index);
  }

  /** Phase of the k-th text block (0-based) of the answer. */
  phaseOfText(k: number): string | undefined {
    return this.byText[k];
  }
}

const metas = new WeakMap<IRRequest, ItemMeta>();

/** A fresh record for a new upstream answer to `req` (a retry starts over). */
export function openItemMeta(req: IRRequest): ItemMeta {
  const m = new ItemMeta();
  metas.set(req, m);
  return m;
}

export function itemMeta(req: IRRequest): ItemMeta | undefined {
  return metas.get(req);
}

export function forgetItemMeta(req: IRRequest): void {
  metas.delete(req);
}
