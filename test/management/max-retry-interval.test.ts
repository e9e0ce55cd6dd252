// GET/PUT/PATCH /v0/management/max-retry-interval: the config key
// max-retry-interval (seconds, 0..3600), written back to the file and live.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { mgmtGateway } from './helpers.js';

const gw = await mgmtGateway('max-retry-interval: 12\n');
t.teardown(() => gw.close());
const live = () => gw.runtime().config.maxRetryInterval;

t.test('GET shows the value; PUT and PATCH change it in the file and live', async (t) => {
  t.same((await gw.api('GET', '/max-retry-interval')).json, { 'max-retry-interval': 12 });
  t.same((await gw.api('PUT', '/max-retry-interval', { value: 45 })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/max-retry-interval')).json, { 'max-retry-interval': 45 });
  t.equal(live(), 45);
  t.match(readFileSync(gw.configPath, 'utf8'), /max-retry-interval: 45/);
  t.same((await gw.api('PATCH', '/max-retry-interval', { value: 0 })).json, { status: 'ok' });
  t.equal(live(), 0, '0: never wait for a cooling credential');
  t.match(readFileSync(gw.configPath, 'utf8'), /max-retry-interval: 0/);
});

t.test('bad values are refused and change nothing', async (t) => {
  for (const body of [{ value: 'x' }, { value: 1.5 }, {}, 'not json']) {
    const r = await gw.api('PUT', '/max-retry-interval', body);
    t.same([r.status, r.json?.error], [400, 'invalid body'], JSON.stringify(body));
  }
  const neg = await gw.api('PUT', '/max-retry-interval', { value: -1 });
  t.ok(neg.status >= 400 && neg.status < 500, 'a negative interval is refused');
  t.match(JSON.stringify(neg.json), /max-retry-interval/);
  t.equal(live(), 0);
  const res = await fetch(`${gw.url}/v0/management/max-retry-interval`, { headers: { authorization: 'Bearer wrong' } });
  t.equal(res.status, 401, 'the management key is needed');
  await res.text();
});
