// Command line flags read the way Go's flag package reads them, so command
// lines written for CLIProxyAPI work unchanged: one or two dashes (-config,
// --config), a value after `=` or as the next argument (-config=PATH,
// -config PATH), and bool flags bare or with =true/=false.

export type FlagKind = 'bool' | 'string';

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

// Go's strconv.ParseBool spellings.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export type FlagValues<S extends Record<string, FlagKind>> = {
  [K in keyof S]?: S[K] extends 'bool' ? boolean : string;
};

/**
 * Read `argv` against `specs` (name → kind). `aliases` maps another name to
 * one in `specs` (e.g. h → help). The last occurrence of a flag wins.
 * Positional arguments are refused: the gateway takes none.
 */
export function parseFlags<S extends Record<string, FlagKind>>(argv: readonly string[], specs: S, aliases: Record<string, keyof S & string> = {}): FlagValues<S> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (i + 1 < argv.length) throw new FlagError(`Unexpected argument '${argv[i + 1]}'`);
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) throw new FlagError(`Unexpected argument '${arg}'`);
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FlagError(`Bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const given = eq < 0 ? body : body.slice(0, eq);
    const spelled = arg.slice(0, arg.length - body.length) + given;
    const name = Object.hasOwn(specs, given) ? given : Object.hasOwn(aliases, given) ? aliases[given] : undefined;
    if (name === undefined || !Object.hasOwn(specs, name)) throw new FlagError(`Unknown option '${spelled}'`);
    if (specs[name] === 'bool') {
      if (eq < 0) out[name] = true;
      else {
        const v = body.slice(eq + 1);
        if (TRUE.has(v)) out[name] = true;
        else if (FALSE.has(v)) out[name] = false;
        else throw new FlagError(`Invalid boolean value ${JSON.stringify(v)} for ${spelled}`);
      }
      continue;
    }
    if (eq >= 0) out[name] = body.slice(eq + 1);
    else if (i + 1 < argv.length) out[name] = argv[++i]!; // as in Go, even when it starts with '-'
    else throw new FlagError(`Option '${spelled}' needs a value`);
  }
  return out as FlagValues<S>;
}
