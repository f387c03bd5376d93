// Call set-up time through the real gateway on loopback: a WebSocket
// client (no browser) -> storegw -> Kamailio (the IMS core's stand-in) ->
// sippeer (our sofia-sip phone). Prints figures; never fails on timing,
// only when the scenario cannot run at all.
//
//   SG_BUILDDIR=/work/main/build node tests/bench/callsetup.js
//   BENCH_CALLS=50        calls one after another (each sequential run)
//   BENCH_CONCURRENT=20   calls at once in a batch
//   BENCH_BATCHES=3       concurrent batches
//   BENCH_SETTLE_S=40     idle seconds before the last VmRSS (0: skip)
//   BENCH_OFFER=av        the whole audio+video fixture (sippeer then
//                         answers one m-line to two: refused, 488)
//   BENCH_VERBOSE=1       every call's time line
//
// Per call: request sent -> `ringing` -> `answer` -> `connected`, then
// `hangup` sent -> the gateway's `hangup` reply (and the BYE at the phone).
// The gateway's share: its CPU time per call set-up (/proc/PID/stat), the
// time outside the phone (request->connected minus INVITE->200 seen at the
// phone's stdout, i.e. gateway + Kamailio + pipes) and, from the gateway's
// own log timestamps (1 ms resolution), request->INVITE sent plus 200
// received->`connected` at the client. VmRSS before, at peak and after.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

const INTEG = path.join(__dirname, '../integration');
const lib = require(path.join(INTEG, 'lib'));
const { start, stop, stopKamailio } = require(path.join(INTEG, 'peers'));
const WebSocket = require(path.join(INTEG, 'node_modules/ws'));
const { startGateway, stopGateway, freePort, sleep, waitFor, metrics } = lib;

const N = Number(process.env.BENCH_CALLS || 50);
const M = Number(process.env.BENCH_CONCURRENT || 20);
const BATCHES = Number(process.env.BENCH_BATCHES || 3);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 40);   // idle before the last VmRSS
const BUILDDIR = process.env.SG_BUILDDIR || path.resolve(__dirname, '../../build');
const SIPPEER = path.join(BUILDDIR, 'tests/sip/sippeer');
const SECRET = 'bench-store-signing-secret-0123456789abcdef';
const OFFER_AV = fs.readFileSync(process.env.SG_FIXTURES
  ? path.join(process.env.SG_FIXTURES, 'chromium-156-offer-audio-video.sdp')
  : path.join(__dirname, '../fixtures/chromium-156-offer-audio-video.sdp'), 'utf8');
// The gateway puts every relayable m-line of the offer into its INVITE,
// also for media "audio", and sippeer answers with one fixed audio m-line:
// against the full offer the gateway (rightly, RFC 3264 section 6) refuses
// that answer (488). So by default the offer is the fixture's audio
// section only (BUNDLE 0); BENCH_OFFER=av sends the whole fixture.
const audioOnly = (sdp) => {
  const secs = sdp.split(/(?=^m=)/m);
  return secs[0].replace(/^a=group:BUNDLE .*$/m, 'a=group:BUNDLE 0') +
    secs.find((x) => x.startsWith('m=audio'));
};
const OFFER = process.env.BENCH_OFFER === 'av' ? OFFER_AV : audioOnly(OFFER_AV);
const CALL_TIMEOUT_MS = 15000;

// wall clock in ms with sub-ms resolution (comparable to the gateway's log)
const now = () => performance.timeOrigin + performance.now();

// ---- token ---------------------------------------------------------------------------
const b64u = (b) => Buffer.from(b).toString('base64').replace(/=+$/, '')
  .replace(/\+/g, '-').replace(/\//g, '_');

function token(dest) {
  const t = Math.floor(Date.now() / 1000);
  const h = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const p = b64u(JSON.stringify({ iss: 'demo', exp: t + 300, iat: t,
    jti: crypto.randomUUID(), dest: [dest] }));
  const s = b64u(crypto.createHmac('sha256', SECRET).update(`${h}.${p}`).digest());
  return `${h}.${p}.${s}`;
}

// ---- peers ---------------------------------------------------------------------------
// ims.cfg knows one number (+4930123) and sippeer takes one call at a
// time (486 to a second INVITE): the concurrent batch needs one phone per
// call, so Kamailio runs a copy of ims.cfg with more numbers (password telpw).
const RING_USER = '+493021000';
const CONC_USER = (i) => `+4930200${String(i).padStart(2, '0')}`;

async function startKamailio(name, extraUsers) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(lib.OUTDIR, `${name}-`));
  // our numbers go last in the block that fills the credentials
  const src = fs.readFileSync(path.join(INTEG, 'kamailio/ims.cfg'), 'utf8');
  const blk = src.indexOf('event_route[htable:mod-init]');
  const end = blk < 0 ? -1 : src.indexOf('\n}', blk);
  if (end < 0) throw new Error('ims.cfg has no event_route[htable:mod-init] { .. }');
  const cfg = path.join(dir, 'ims-bench.cfg');
  fs.writeFileSync(cfg, src.slice(0, end) + extraUsers.map(
    (u) => `\n\t$sht(creds=>${u}) = "telpw";`).join('') + src.slice(end));
  const k = start(name, '/usr/sbin/kamailio', ['-f', cfg, '-DD', '-E', '-Y', dir,
    '-P', path.join(dir, 'kamailio.pid'), '-w', dir, '-A', `SIPPORT=${port}`]);
  k.port = port;
  k.uri = `sip:127.0.0.1:${port}`;
  await waitFor(() => /Listening on|INFO: <core>.*udp_server/.test(k.err) ||
    k.proc.exitCode !== null, 10000, `kamailio started:\n${k.err}`);
  if (k.proc.exitCode !== null) throw new Error(`kamailio exited:\n${k.err}`);
  await sleep(300);
  return k;
}

// sippeer answering at once; every stdout line time-stamped on arrival.
// Kamailio now and then answers a good digest with 401 again (sippeer
// then gives up): start that phone once more.
async function phone(name, k, user, extra, rtpPort, tries = 3) {
  for (let i = 1; ; i++) {
    const p = await phoneOnce(name, k, user, extra, rtpPort);
    try {
      await waitFor(() => p.has(/^(REGISTERED|REG-FAILED)/), 5000, `${user} registered`);
      if (p.has(/^REGISTERED/)) return p;
      throw new Error(`${user}: ${p.has(/^REG-FAILED/)}`);
    } catch (e) {
      await stop(p);
      if (i >= tries) throw new Error(`${e.message}\n--- ${name}:\n${p.out}${p.err}`);
      console.log(`  ${name}: ${e.message.split('\n')[0]}; once more`);
    }
  }
}

async function phoneOnce(name, k, user, extra, rtpPort) {
  const port = await freePort();
  const p = start(name, SIPPEER, ['--listen', `127.0.0.1:${port}`,
    '--register', `sip:${user}@ims.test`, '--password', 'telpw', '--proxy', k.uri,
    '--answer-after', '0', '--rtp-port', String(rtpPort)].concat(extra));
  p.ev = [];
  let part = '';
  p.proc.stdout.on('data', (d) => {
    const t = now();
    const lines = (part + d.toString()).split('\n');
    part = lines.pop();
    for (const l of lines) if (/^(INVITE|ANSWERED|BYE|TERMINATED|REG)/.test(l)) p.ev.push({ t, l });
  });
  p.count = (re) => p.ev.filter((e) => re.test(e.l)).length;
  p.nth = (re, i) => p.ev.filter((e) => re.test(e.l))[i];
  return p;
}

// ---- WebSocket client ------------------------------------------------------------------
function wsClient(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const c = { ws, calls: new Map(), stray: [] };
    ws.on('message', (d) => {
      const t = now();
      let m;
      try { m = JSON.parse(d.toString()); } catch (e) { c.stray.push(String(d)); return; }
      const rec = c.calls.get(m.call);
      if (!rec) { c.stray.push(m); return; }
      rec.msgs.push({ t, type: m.type, code: m.code, reason: m.reason, message: m.message });
      if (!(m.type in rec.t)) rec.t[m.type] = t;
      for (const w of rec.waiters.splice(0)) w();
    });
    ws.on('open', () => resolve(c));
    ws.on('error', reject);
    c.close = () => new Promise((res) => {
      if (ws.readyState === WebSocket.CLOSED) return res();
      ws.once('close', res);
      ws.close();
      setTimeout(res, 2000);
    });
  });
}

function until(rec, pred, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${rec.id}: no ${what} in ${ms} ms; ` +
      `got ${JSON.stringify(rec.msgs)}`)), ms);
    const check = () => {
      const v = pred();
      if (v) { clearTimeout(timer); resolve(v); } else rec.waiters.push(check);
    };
    check();
  });
}

// One call: request -> connected (or failure), then hangup -> reply.
async function placeCall(c, id, dial, e164) {
  const rec = { id, dial, msgs: [], t: {}, waiters: [] };
  c.calls.set(id, rec);
  const msg = JSON.stringify({ type: 'call', call: id, to: dial, media: 'audio',
    token: token(e164), sdp: OFFER });
  rec.t.sent = now();
  c.ws.send(msg);
  try {
    await until(rec, () => rec.t.connected || rec.t.error || rec.t.hangup,
      CALL_TIMEOUT_MS, 'connected');
  } catch (e) {
    rec.fail = e.message;
  }
  if (!rec.t.connected) {
    rec.fail = rec.fail || `call failed: ${JSON.stringify(rec.msgs)}`;
    return rec;
  }
  return rec;
}

async function hangup(c, rec) {
  if (!rec.t.connected || rec.t.hangup) return;
  rec.t.hangupSent = now();
  c.ws.send(JSON.stringify({ type: 'hangup', call: rec.id }));
  try {
    await until(rec, () => rec.t.hangup, 5000, 'hangup reply');
  } catch (e) {
    rec.hangupFail = e.message;
  }
}

// ---- /proc -----------------------------------------------------------------------------
const TICK_MS = 10;   // USER_HZ 100 on Linux
function cpuMs(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;   // utime + stime
}
function memKB(pid, key = 'VmRSS') {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')
    .exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// ---- statistics ------------------------------------------------------------------------
function stats(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const q = (p) => v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)];
  return { n: v.length, min: v[0], med: q(0.5), p90: q(0.9), max: v[v.length - 1] };
}
function line(label, xs) {
  const s = stats(xs);
  const f = (x) => x.toFixed(2).padStart(8);
  return s ? `  ${label.padEnd(34)} n=${String(s.n).padStart(3)}  min${f(s.min)}  ` +
    `med${f(s.med)}  p90${f(s.p90)}  max${f(s.max)} ms`
    : `  ${label.padEnd(34)} n=  0  (none)`;
}

// gateway log: "2026-11-27T18:34:00.123Z INFO  sip    [sip-7] answered 200"
function logTimes(text) {
  const inv = new Map(); const ans = new Map();
  const re = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \S+\s+sip\s+\[sip-(\d+)\] (INVITE |answered 2)/gm;
  let m;
  while ((m = re.exec(text))) {
    const t = Date.parse(m[1]);
    const map = m[3].startsWith('INVITE') ? inv : ans;
    if (!map.has(Number(m[2]))) map.set(Number(m[2]), t);
  }
  return { inv, ans };
}

// ---- the runs --------------------------------------------------------------------------
async function sequential(gw, p, label, dial, e164, seq) {
  const c = await wsClient(gw.ws);
  const recs = [];
  try {
    for (let i = 0; i < N; i++) {
      const before = p.count(/^TERMINATED/);
      const rec = await placeCall(c, `${label}${i}`, dial, e164);
      rec.sipRef = ++seq.ref;
      rec.phoneIdx = p.count(/^INVITE$/) - 1;
      recs.push(rec);
      if (rec.fail) {
        console.log(`  ${rec.id}: ${rec.fail.slice(0, 400)}`);
        if (recs.filter((r) => r.fail).length >= 3) break;
        await sleep(200);
        continue;
      }
      await hangup(c, rec);
      // the phone takes one call at a time: wait for its dialog to end
      await waitFor(() => p.count(/^TERMINATED/) > before, 5000, `${rec.id} ended at the phone`)
        .catch((e) => { rec.hangupFail = e.message; });
      const bye = p.nth(/^BYE$/, p.count(/^BYE$/) - 1);
      if (bye && bye.t >= rec.t.hangupSent) rec.t.phoneBye = bye.t;
    }
  } finally {
    await c.close();
  }
  return recs;
}

function report(title, recs, p, logs) {
  const ok = recs.filter((r) => !r.fail);
  console.log(`${title}: ${ok.length}/${recs.length} connected`);
  if (process.env.BENCH_VERBOSE) {
    const iso = (t) => (t ? new Date(t).toISOString().slice(11, 23) +
      (t % 1).toFixed(3).slice(1) : '-');
    for (const r of ok) {
      console.log(`    ${r.id}: sent ${iso(r.t.sent)} ringing ${iso(r.t.ringing)} answer ` +
        `${iso(r.t.answer)} connected ${iso(r.t.connected)}`);
    }
  }
  const d = (a, b) => ok.map((r) => r.t[b] - r.t[a]);
  console.log(line('request -> ringing', d('sent', 'ringing')));
  console.log(line('request -> answer', d('sent', 'answer')));
  console.log(line('request -> connected', d('sent', 'connected')));
  console.log(line('answer -> connected', d('answer', 'connected')));
  console.log(line('hangup -> hangup reply', d('hangupSent', 'hangup')));
  console.log(line('hangup -> BYE at the phone', d('hangupSent', 'phoneBye')));
  if (p) {
    // the phone's own INVITE->200 (its stdout lines) taken out: what is
    // left is gateway + Kamailio + loopback + pipes, an upper bound
    const outside = ok.map((r) => {
      const inv = p.nth(/^INVITE$/, r.phoneIdx);
      const ans = p.nth(/^ANSWERED$/, r.phoneIdx);
      return inv && ans ? (r.t.connected - r.t.sent) - (ans.t - inv.t) : NaN;
    });
    console.log(line('outside the phone (gw+kamailio)', outside));
  }
  if (logs) {
    // gateway log: request -> INVITE handed to sofia, 200 in -> connected out
    const share = ok.map((r) => {
      const ti = logs.inv.get(r.sipRef); const ta = logs.ans.get(r.sipRef);
      return ti && ta ? (ti - r.t.sent) + (r.t.connected - ta) : NaN;
    });
    console.log(line('gateway share (its log, ±2 ms)', share));
  }
}

async function main() {
  console.log(`callsetup bench: ${N} sequential calls x2 (answer at once; 180 first), ` +
    `${BATCHES} batch(es) of ${M} concurrent calls`);
  const conc = Array.from({ length: M }, (_, i) => CONC_USER(i));
  let k; let gw; const phones = [];
  const tag = process.pid % 50;
  try {
    k = await startKamailio('bench-kam', [RING_USER].concat(conc));
    const pNow = await phone('bench-phone', k, '+4930123', [], 41000);
    phones.push(pNow);
    const pRing = await phone('bench-phone-ring', k, RING_USER, ['--ring'], 41002);
    phones.push(pRing);
    for (let i = 0; i < M; i++) phones.push(await phone(`bench-phone-${i}`, k, conc[i], [], 41004 + 2 * i));
    const pConc = phones.slice(2);

    gw = await startGateway('bench-callsetup', {
      gw: { log_level: 'info', max_calls: 10000 },
      webrtc: { port_min: 55000 + tag * 100, port_max: 55099 + tag * 100,
        ws_max_conns_per_ip: 1000, dtls_timeout_s: 60, ice_timeout_s: 300 },
      sip: { enabled: true, bind: `127.0.0.1:${await freePort()}`, pcscf: [k.uri],
        media_addr: '127.0.0.1', rtp_port_min: 45000 + tag * 200,
        rtp_port_max: 45199 + tag * 200, invite_timeout_s: 10 },
      stores: [{ id: 'demo', secret: SECRET, country_code: '49', national_prefix: '0',
        international_prefix: '00', allow: ['+4930*'], max_calls: 1000,
        max_attempts_per_min: 100000, max_attempts_per_min_per_ip: 100000,
        ims_impu: 'sip:store1@ims.test', ims_impi: 'store1@ims.test',
        ims_password: 'store1pw' }],
    });
    const pid = gw.proc.pid;
    await waitFor(() => /IMS registration (OK|FAILED)/.test(gw.log()), 10000,
      `the store's IMS registration:\n${gw.log()}`);
    if (!/IMS registration OK/.test(gw.log())) {
      throw new Error(`IMS registration failed:\n${gw.log()}`);
    }
    console.log(`gateway pid ${pid}, log ${gw.logFile}`);
    const mem = { before: memKB(pid) };
    const seq = { ref: 0 };

    // 1. one after another, the phone answers at once (200 only)
    let cpu0 = cpuMs(pid);
    const rNow = await sequential(gw, pNow, 'a', '030123', '+4930123', seq);
    let cpu1 = cpuMs(pid);
    const cpuSeqNow = (cpu1 - cpu0) / Math.max(1, rNow.filter((r) => !r.fail).length);
    // 2. one after another, 180 Ringing first
    cpu0 = cpuMs(pid);
    const rRing = await sequential(gw, pRing, 'r', '0' + RING_USER.slice(3), RING_USER, seq);
    cpu1 = cpuMs(pid);
    const cpuSeqRing = (cpu1 - cpu0) / Math.max(1, rRing.filter((r) => !r.fail).length);
    if (!rNow.some((r) => !r.fail) && !rRing.some((r) => !r.fail)) {
      throw new Error(`no call connected; gateway log tail:\n${gw.log().slice(-4000)}`);
    }
    mem.afterSeq = memKB(pid);
    const logs = logTimes(gw.log());

    // 3. M at once, one WebSocket per call (as M browsers would)
    const batches = [];
    mem.peak = 0;
    for (let b = 0; b < BATCHES; b++) {
      const clients = await Promise.all(pConc.map(() => wsClient(gw.ws)));
      const before = pConc.map((p) => p.count(/^TERMINATED/));
      const c0 = cpuMs(pid);
      const t0 = now();
      const recs = await Promise.all(clients.map((c, i) =>
        placeCall(c, `b${b}c${i}`, `0${conc[i].slice(3)}`, conc[i])));
      const t1 = now();
      mem.peak = Math.max(mem.peak, memKB(pid));
      const active = (await metrics(gw)).calls_active;
      await Promise.all(recs.map((r, i) => hangup(clients[i], r)));
      const t2 = now();
      await Promise.all(pConc.map((p, i) => (recs[i].t.connected
        ? waitFor(() => p.count(/^TERMINATED/) > before[i], 5000, `${recs[i].id} ended at the phone`)
          .catch((e) => { recs[i].hangupFail = e.message; }) : null)));
      const c1 = cpuMs(pid);
      for (const [i, r] of recs.entries()) {
        const bye = pConc[i].nth(/^BYE$/, pConc[i].count(/^BYE$/) - 1);
        if (bye && r.t.hangupSent && bye.t >= r.t.hangupSent) r.t.phoneBye = bye.t;
        if (r.fail) console.log(`  ${r.id}: ${r.fail.slice(0, 400)}`);
      }
      await Promise.all(clients.map((c) => c.close()));
      const okN = recs.filter((r) => !r.fail).length;
      batches.push({ recs, okN, setupMs: t1 - t0, cycleMs: t2 - t0, cpu: c1 - c0, active });
      await sleep(200);
    }

    // every call freed; the memory the calls took given back?
    await waitFor(async () => (await metrics(gw)).calls_active === 0, 10000, 'calls_active 0')
      .catch((e) => console.log(`  ${e.message}`));
    await sleep(500);
    mem.after = memKB(pid);
    mem.hwm = memKB(pid, 'VmHWM');
    // SIP transactions linger 32 s after the dialog (RFC 3261 timers J/K),
    // tokens' jti until they expire: look again once those are gone
    if (SETTLE_S > 0) {
      await sleep(SETTLE_S * 1000);
      mem.settled = memKB(pid);
    }
    const m = await metrics(gw);

    // ---- figures ----
    console.log('');
    report(`sequential, answer at once (${N})`, rNow, pNow, logs);
    console.log(`  gateway CPU per call (set-up + hang-up): ${cpuSeqNow.toFixed(2)} ms ` +
      `(utime+stime, ${TICK_MS} ms ticks)`);
    console.log('');
    report(`sequential, 180 Ringing first (${N})`, rRing, pRing, logs);
    console.log(`  gateway CPU per call (set-up + hang-up): ${cpuSeqRing.toFixed(2)} ms`);
    console.log('');
    const all = batches.flatMap((b) => b.recs);
    report(`concurrent, ${BATCHES} x ${M} at once`, all, null, null);
    for (const [i, b] of batches.entries()) {
      console.log(`  batch ${i}: ${b.okN}/${M} connected in ${b.setupMs.toFixed(1)} ms = ` +
        `${(b.okN / (b.setupMs / 1000)).toFixed(0)} set-ups/s; with hang-up ` +
        `${(b.okN / (b.cycleMs / 1000)).toFixed(0)} calls/s; calls_active at peak ${b.active}; ` +
        `gateway CPU ${(b.cpu / Math.max(1, b.okN)).toFixed(2)} ms/call`);
    }
    console.log('');
    const kb = (x) => `${(x / 1024).toFixed(1)} MB`;
    console.log(`gateway VmRSS: before ${kb(mem.before)}, after sequential ${kb(mem.afterSeq)}, ` +
      `peak (${M} up) ${kb(mem.peak)}, after all hung up ${kb(mem.after)}; VmHWM ${kb(mem.hwm)}`);
    console.log(`  per concurrent call ≈ ${((mem.peak - mem.afterSeq) / M).toFixed(0)} KB; ` +
      `kept after hang-up vs before: ${mem.after - mem.before} KB, ` +
      `vs after sequential: ${mem.after - mem.afterSeq} KB`);
    if (mem.settled) {
      console.log(`  after ${SETTLE_S} s idle: ${kb(mem.settled)} (${mem.settled - mem.before} KB ` +
        `over before, ${((mem.settled - mem.before) / m.calls_total).toFixed(1)} KB per call placed)`);
    }
    console.log(`gateway metrics: calls_total ${m.calls_total}, calls_ended_total ${m.calls_ended_total}, ` +
      `calls_failed_total ${m.calls_failed_total}, calls_rejected_total ${m.calls_rejected_total}, ` +
      `calls_active ${m.calls_active}`);
    const warns = gw.log().split('\n').filter((l) => /^\S+ (WARN|ERROR)/.test(l));
    if (warns.length) {
      console.log(`gateway warnings/errors (${warns.length}):`);
      for (const w of warns.slice(0, 10)) console.log(`  ${w}`);
    }
    if (!all.some((r) => !r.fail)) throw new Error('no concurrent call connected');
  } finally {
    if (gw) await stopGateway(gw).catch((e) => console.log(`  ${e.message}`));
    for (const p of phones) await stop(p);
    if (k) await stopKamailio(k);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`callsetup bench could not run: ${e.stack || e}`);
  lib.cleanup().finally(() => process.exit(1));
});
