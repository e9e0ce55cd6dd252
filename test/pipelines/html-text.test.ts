// The single-pass readers of pipelines/html-text.ts against the regexes they
// replaced, on many random small inputs (where the regexes are still fast):
// the same text out for every input, only without the quadratic worst case.
import t from 'tap';
import { dropScriptBlocks, htmlText, htmlTitle, looksLikeHtml, squeezeSpaces } from '../../pipelines/html-text.js';

const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();
const REGEX = {
  gemini: (s: string) => squeeze(s.replace(/<[^>]*>/g, ' ')),
  openai: (s: string) => squeeze(s.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<[^>]*>/gi, ' ')),
  claudeBlocks: (s: string) => s.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' '),
  claude: (s: string) =>
    squeeze(
      s
        .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&nbsp;/g, ' ')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    ),
  title: (s: string) => /<title[^>]*>([^<]*)<\/title>/i.exec(s)?.[1],
  html: (s: string) => /<\/?[a-z][\s\S]*>/i.test(s),
};
const ONE_PASS = {
  gemini: (s: string, max: number) => htmlText(s, max, { emptyTag: true }),
  openai: (s: string, max: number) => htmlText(s, max, { dropBlocks: true, emptyTag: true }),
  claude: (s: string, max: number) => htmlText(dropScriptBlocks(s), max, { entities: true }),
};

const TOKENS = [
  '<', '>', '<>', '</', '/', 'a', 'B', 'x', 'é', '😀', ' ', '  ', '\n', '\t', '\u00a0', '\u2003', '\u3000', '\ufeff',
  '<p>', '</p>', '<br/>', '<script', '<SCRIPT>', '</script>', '</Script>', '<style', '<style>', '</style>', '</STYLE>',
  '<title', '<TITLE>', '<title lang="en">', '</title>', '</title', 'title', 'script', '&', '&lt;', '&gt;', '&amp;',
  '&nbsp;', '&amp;lt;', '&lt', 'nbsp;', '<a href="x">', '"', '=',
];

// Deterministic: a failure names its seed and reproduces.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomText(r: () => number): string {
  const n = Math.floor(r() * 40);
  let s = '';
  for (let i = 0; i < n; i++) s += TOKENS[Math.floor(r() * TOKENS.length)];
  return s;
}

t.test('the same text as the regexes, on random inputs', async (t) => {
  const failures: string[] = [];
  const check = (what: string, seed: number, input: string, got: unknown, want: unknown) => {
    if (got !== want && failures.length < 10) failures.push(`${what} seed ${seed} on ${JSON.stringify(input)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  let cases = 0;
  for (let seed = 1; seed <= 20_000; seed++) {
    const r = rng(seed);
    const s = randomText(r);
    cases++;
    for (const kind of ['gemini', 'openai', 'claude'] as const) {
      const want = REGEX[kind](s);
      check(kind, seed, s, ONE_PASS[kind](s, 1e9), want);
      // A bound cuts the same prefix, and says whether there was more.
      const max = Math.floor(r() * 12);
      const cut = ONE_PASS[kind](s, max);
      check(`${kind} max ${max}`, seed, s, cut.slice(0, max), want.slice(0, max));
      check(`${kind} max ${max} longer`, seed, s, cut.length > max, want.length > max);
    }
    check('dropScriptBlocks', seed, s, dropScriptBlocks(s), REGEX.claudeBlocks(s));
    check('htmlTitle', seed, s, htmlTitle(s), REGEX.title(s));
    check('looksLikeHtml', seed, s, looksLikeHtml(s), REGEX.html(s));
    check('squeezeSpaces', seed, s, squeezeSpaces(s, 1e9), squeeze(s));
  }
  t.same(failures, [], `${cases} random inputs`);
});

t.test('honest pages', async (t) => {
  const nginx = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>';
  t.equal(htmlTitle(nginx), '502 Bad Gateway');
  t.equal(htmlText(nginx, 100, { emptyTag: true }), '502 Bad Gateway 502 Bad Gateway nginx');
  t.equal(htmlText('<style>p { color: red }</style><script>if (a<b) x()</script><p>Gone &amp; away&nbsp;now</p>', 100, { dropBlocks: true, entities: true }), 'Gone & away now');
  t.equal(htmlTitle('<TITLE lang="en">Oops</Title>'), 'Oops');
  t.equal(htmlTitle('<title>a<b></title>'), undefined);
  t.ok(looksLikeHtml('text <b>bold</b>'));
  t.notOk(looksLikeHtml('a < b and c > d'));
  t.equal(squeezeSpaces('  a \u00a0\n b\u3000 ', 100), 'a b');
});

t.test('hostile inputs: one pass, and the regexes answer the same on a small one', async (t) => {
  const n = 1 << 20;
  for (const unit of ['<', '<a', '<script', '<style', '<title', '<title>', '</', '<script>x', ' <\n', '&']) {
    const big = unit.repeat(Math.ceil(n / unit.length));
    const small = big.slice(0, 2000);
    for (const kind of ['gemini', 'openai', 'claude'] as const) {
      t.equal(ONE_PASS[kind](small, 1e9), REGEX[kind](small), `${kind} on ${JSON.stringify(unit)}…`);
      t.ok(ONE_PASS[kind](big, 2000).length <= 2001, `${kind} on 1 MiB of ${JSON.stringify(unit)}: bounded`);
    }
    t.equal(htmlTitle(small), REGEX.title(small));
    t.equal(looksLikeHtml(small), REGEX.html(small));
    t.equal(dropScriptBlocks(small), REGEX.claudeBlocks(small));
    // Linear means these finish at all: the regexes take minutes on 1 MiB.
    htmlTitle(big);
    looksLikeHtml(big);
    dropScriptBlocks(big);
  }
});
