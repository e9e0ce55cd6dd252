// Flags as Go's flag package reads them (CLIProxyAPI command lines).
import t from 'tap';
import { FlagError, parseFlags } from '../../lib/cli-args.js';

const SPECS = { config: 'string', port: 'string', login: 'bool', 'no-browser': 'bool', project_id: 'string', help: 'bool' } as const;
const parse = (...argv: string[]) => parseFlags(argv, SPECS, { h: 'help' });
const error = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (err) {
    if (err instanceof FlagError) return err.message;
    throw err;
  }
  throw new Error('expected a FlagError');
};

t.test('one or two dashes, value after = or as the next argument', async (t) => {
  const want = { config: 'c.yaml', port: '0' };
  t.same(parse('-config', 'c.yaml', '-port', '0'), want);
  t.same(parse('--config', 'c.yaml', '--port', '0'), want);
  t.same(parse('-config=c.yaml', '--port=0'), want);
  t.same(parse('--config=a=b'), { config: 'a=b' }, 'only the first = splits');
  t.same(parse('-config='), { config: '' }, 'empty value');
  t.same(parse('-config', '-weird-name.yaml'), { config: '-weird-name.yaml' }, 'as in Go, the next argument is the value even with a dash');
  t.same(parse('-port', '1', '-port', '2'), { port: '2' }, 'the last one wins');
});

t.test('bool flags: bare, or =true/=false in strconv.ParseBool spellings', async (t) => {
  t.same(parse('-login', '-no-browser'), { login: true, 'no-browser': true });
  t.same(parse('--login=false', '-no-browser=1'), { login: false, 'no-browser': true });
  for (const v of ['1', 't', 'T', 'TRUE', 'true', 'True']) t.same(parse(`-login=${v}`), { login: true }, v);
  for (const v of ['0', 'f', 'F', 'FALSE', 'false', 'False']) t.same(parse(`-login=${v}`), { login: false }, v);
  t.equal(error('-login=yes'), 'Invalid boolean value "yes" for -login');
  t.equal(error('-login', 'false'), "Unexpected argument 'false'", 'a bool never takes the next argument');
});

t.test('login flags with Go spellings', async (t) => {
  t.same(parse('-login', '-project_id', 'p1,p2', '-no-browser'), { login: true, project_id: 'p1,p2', 'no-browser': true });
  t.same(parse('-h'), { help: true });
  t.same(parse('-help'), { help: true });
  t.same(parse('--help'), { help: true });
});

t.test('refusals', async (t) => {
  t.equal(error('--bogus'), "Unknown option '--bogus'");
  t.equal(error('-bogus=1'), "Unknown option '-bogus'");
  t.equal(error('-config'), "Option '-config' needs a value");
  t.equal(error('---config', 'x'), 'Bad flag syntax: ---config');
  t.equal(error('-=x'), 'Bad flag syntax: -=x');
  t.equal(error('-'), "Unexpected argument '-'");
  t.equal(error('serve'), "Unexpected argument 'serve'");
  t.equal(error('--', 'x'), "Unexpected argument 'x'");
  t.same(parse('-login', '--'), { login: true }, 'a trailing -- ends the flags');
  t.equal(error('-toString'), "Unknown option '-toString'", 'no prototype names');
  t.equal(error('-__proto__'), "Unknown option '-__proto__'");
});
