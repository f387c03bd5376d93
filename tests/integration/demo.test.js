// make demo (tools/demo.sh): every piece starts on free loopback ports,
// the store page answers, an order reaches the demo order server (its
// printed line, with the Idempotency-Key), the hub's reps show as
// registered in /api/v1/admin/reps, and SIGINT ends every process the
// script started (Kamailio's workers included) with exit code 0.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const { assert, waitFor, sleep } = lib;

const TOP = path.resolve(__dirname, '../..');
const BUILDDIR = process.env.SG_BUILDDIR || path.join(TOP, 'build');

// Every descendant of pid now: pid -> its start time (to tell a reused PID).
function descendants(pid) {
  const kids = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push({ pid: Number(e), start: f[19], comm: st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')) });
    } catch (err) { /* gone */ }
  }
  const out = new Map();
  const walk = (p) => {
    for (const k of kids.get(p) || []) { out.set(k.pid, k); walk(k.pid); }
  };
  walk(pid);
  return out;
}

function stillThere(p) {
  try {
    const st = fs.readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return f[19] === p.start && f[0] !== 'Z';
  } catch (e) { return false; }
}

// The demo config with the showroom group and the reps list taken out,
// for a storegw that does not know them yet (issue 5 not landed).
function withoutShowroom(file) {
  let s = fs.readFileSync(file, 'utf8');
  s = s.replace(/\nshowroom:\n\{[\s\S]*?\n\};\n/, '\n');
  const i = s.indexOf('\nreps = (');
  if (i >= 0) s = s.slice(0, s.lastIndexOf('\n#', i));
  const out = path.join(lib.OUTDIR, 'demo-noshowroom.conf');
  fs.writeFileSync(out, `${s}\n`);
  return out;
}

async function demo() {
  const conf = path.join(TOP, 'etc/demo/storegw.conf');
  const env = { ...process.env, SG_BUILDDIR: BUILDDIR, SG_DEMO_DIR: path.join(lib.OUTDIR, 'demo-run') };
  const notes = [];
  let showroom = true;
  try {
    execFileSync(lib.STOREGW, ['--check-config', conf], { stdio: 'pipe' });
  } catch (e) {
    const msg = `${e.stdout}${e.stderr}`;
    assert(/showroom|reps/.test(msg), `etc/demo/storegw.conf is refused: ${msg}`);
    notes.push(`this storegw has no showroom/reps config yet (${msg.trim()}): demo run without them`);
    env.SG_DEMO_CONF = withoutShowroom(conf);
    showroom = false;
  }
  const hub = fs.existsSync(path.join(BUILDDIR, 'hub/storegw-hub'));
  const peers = fs.existsSync('/usr/sbin/kamailio') && fs.existsSync('/usr/bin/baresip');
  if (!hub || !peers) {
    notes.push(`missing: ${hub ? '' : 'hub/storegw-hub '}${peers ? '' : 'kamailio/baresip'}: SG_DEMO_PARTIAL=1`);
    env.SG_DEMO_PARTIAL = '1';
  }
  const base = await lib.freePorts(9);   // consecutive: dave takes 2
  const [http, showroomPort, kam, sip, order, hubPort, dave, , daveCtrl] =
    Array.from({ length: 9 }, (_, i) => base + i);
  Object.assign(env, {
    SG_DEMO_HTTP_PORT: http, SG_DEMO_SHOWROOM_PORT: showroomPort, SG_DEMO_KAMAILIO_PORT: kam,
    SG_DEMO_SIP_PORT: sip, SG_DEMO_ORDER_PORT: order, SG_DEMO_HUB_PORT: hubPort,
    SG_DEMO_DAVE_PORT: dave, SG_DEMO_DAVE_CTRL_PORT: daveCtrl,
  });
  fs.rmSync(env.SG_DEMO_DIR, { recursive: true, force: true });
  for (const n of notes) console.log(`    note: ${n}`);

  const log = fs.createWriteStream(path.join(lib.OUTDIR, 'demo.log'));
  const p = spawn(path.join(TOP, 'tools/demo.sh'), [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; log.write(d); });
  p.stderr.on('data', (d) => { out += d; log.write(d); });
  const exited = new Promise((resolve) => p.on('exit', (code, sig) => resolve({ code, sig })));
  let procs = new Map();
  try {
    await waitFor(() => /storegw demo: open (http:\S+)/.test(out) || p.exitCode !== null,
      60000, `the demo's URL line:\n${out}`);
    assert(p.exitCode === null, `demo.sh runs:\n${out}`);
    const url = /storegw demo: open (http:\S+)/.exec(out)[1];
    assert(url === `http://127.0.0.1:${http}/`, `URL on the port given (${url})`);
    procs = descendants(p.pid);
    const comms = [...procs.values()].map((x) => x.comm);
    for (const c of ['storegw', 'python3'].concat(peers ? ['kamailio', 'baresip'] : [])
      .concat(hub ? ['storegw-hub'] : [])) {
      assert(comms.includes(c), `${c} runs (${comms.join(',')})`);
    }

    // the demo store
    let r = await lib.httpGet(url);
    assert(r.status === 200 && /storegw\.js|store/i.test(r.text), `store page (${r.status})`);
    r = await lib.httpGet(`${url}store/product.html?sku=SKU-1`);
    assert(r.status === 200, `product page (${r.status})`);
    assert(/data-to="rep:any"/.test(r.text), 'the product page calls rep:any');
    // the pages' demo token: any rep of store1
    r = await lib.httpGet(`${url}store/token?dest=rep`);
    assert(r.status === 200 && JSON.parse(r.text).store === 'store1', `a rep token of store1 (${r.status} ${r.text.slice(0, 80)})`);

    // an order, from the store's page origin, reaches the order server
    const body = { store: 'demo', items: [{ sku: 'SKU-1', qty: 2 }],
      customer: { name: 'Demo Shopper', email: 'shopper@example.com' } };
    const res = await fetch(`${url}api/v1/orders`, { method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'demo-test-1' },
      body: JSON.stringify(body) });
    const j = await res.json();
    assert(res.status === 201 && /^[0-9a-f]{32}$/.test(j.order), `order accepted (${res.status})`);
    await waitFor(() => out.includes(`order ${j.order}: Idempotency-Key ${j.order}, store demo, 2 x SKU-1`),
      10000, `the order server printed the order:\n${out}`);

    // the hub's reps, registered with the gateway
    r = await lib.httpGet(`${url}api/v1/admin/reps`);
    if (r.status === 404 || !showroom) {
      console.log('    note: /api/v1/admin/reps is not there yet: reps not checked');
    } else if (!hub) {
      console.log('    note: no hub binary: reps not checked');
    } else {
      const reg = async () => JSON.parse((await lib.httpGet(`${url}api/v1/admin/reps`)).text).reps;
      await waitFor(async () => (await reg()).filter((x) => ['alice', 'bob', 'carol'].includes(x.id) && x.registered).length === 3,
      15000, 'alice, bob and carol registered');
      const d = (await reg()).find((x) => x.id === 'dave');
      assert(d && !d.registered, `dave is a phone, not a hub endpoint (${JSON.stringify(d)})`);
    }
    // dave's phone registered at Kamailio
    if (peers) {
      const dl = fs.readFileSync(path.join(env.SG_DEMO_DIR, 'dave.log'), 'utf8');
      assert(/\+4930124@ims\.test.*200 OK/.test(dl), 'dave registered at Kamailio');
    }
  } finally {
    if (p.exitCode === null) p.kill('SIGINT');
    const e = await Promise.race([exited, sleep(30000).then(() => null)]);
    if (!e) {
      p.kill('SIGKILL');
      for (const x of procs.values()) if (stillThere(x)) process.kill(x.pid, 'SIGKILL');
    }
    log.end();
    assert(e && e.code === 0, `demo.sh exits 0 on SIGINT (${JSON.stringify(e)}):\n${out.slice(-2000)}`);
  }
  assert(/demo: stopped/.test(out), 'demo.sh said it stopped');
  await sleep(200);
  const left = [...procs.values()].filter(stillThere);
  for (const x of left) process.kill(x.pid, 'SIGKILL');
  assert(left.length === 0, `every process ended (left: ${left.map((x) => `${x.comm}:${x.pid}`).join(' ')})`);
  assert(!/did not stop: killed/.test(out), `each stopped on SIGTERM:\n${out.slice(-1000)}`);
}

module.exports = [
  { name: 'make_demo', fn: demo, timeout: 120000 },
];
