// The IMS-facing SIP UA (sip/) against Kamailio as the IMS core and the
// project's sofia-sip peer (tests/sip/sippeer) as the far-end phone.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const { freePort, sleep, assert, waitFor } = lib;

const BUILDDIR = process.env.SG_BUILDDIR || path.resolve(__dirname, '../../build');
const UADRIVE = path.join(BUILDDIR, 'tests/sip/uadrive');
const SIPPEER = path.join(BUILDDIR, 'tests/sip/sippeer');
const KCFG = path.join(__dirname, 'kamailio/ims.cfg');

// A child whose stdout lines are collected; ended by its PID.
function start(name, cmd, args) {
  const logFile = path.join(lib.OUTDIR, `${name}.log`);
  const log = fs.createWriteStream(logFile);
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const p = { name, proc, out: '', err: '' };
  proc.stdout.on('data', (d) => { p.out += d.toString(); log.write(d); });
  proc.stderr.on('data', (d) => { p.err += d.toString(); log.write(d); });
  p.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  p.send = (line) => proc.stdin.write(`${line}\n`);
  p.lines = () => p.out.split('\n').filter(Boolean);
  p.has = (re) => p.lines().find((l) => re.test(l));
  p.wait = (re, ms, what) => waitFor(() => p.has(re), ms || 5000,
    `${name}: ${what || re}\n--- ${name} stdout:\n${p.out}`);
  return p;
}

async function stop(p, ms = 5000) {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const r = await Promise.race([p.exited, sleep(ms).then(() => 'timeout')]);
  if (r === 'timeout') p.proc.kill('SIGKILL');
}

// Kamailio forks workers: end every PID of its process group by PID.
async function startKamailio(name) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(lib.OUTDIR, `${name}-`));
  const pidFile = path.join(dir, 'kamailio.pid');
  const k = start(name, '/usr/sbin/kamailio', ['-f', KCFG, '-DD', '-E', '-Y', dir,
    '-P', pidFile, '-w', dir, '-A', `SIPPORT=${port}`]);
  k.port = port;
  k.uri = `sip:127.0.0.1:${port}`;
  await waitFor(() => /Listening on|INFO: <core>.*udp_server/.test(k.err) || k.proc.exitCode !== null,
    10000, `kamailio started:\n${k.err}`);
  assert(k.proc.exitCode === null, `kamailio runs:\n${k.err}`);
  await sleep(300);
  return k;
}

async function stopKamailio(k) {
  // workers share the main process's group when run with -DD
  try { process.kill(k.proc.pid, 'SIGTERM'); } catch (e) { /* gone */ }
  const r = await Promise.race([k.exited, sleep(5000).then(() => 'timeout')]);
  if (r === 'timeout') k.proc.kill('SIGKILL');
}

async function uadrive(name, pcscfs, extra = []) {
  const port = await freePort();
  const args = ['--bind', `127.0.0.1:${port}`];
  for (const p of pcscfs) args.push('--pcscf', p);
  const u = start(name, UADRIVE, args.concat(extra));
  await u.wait(/^READY/, 5000, 'uadrive ready');
  return u;
}

async function quit(u) {
  if (u.proc.exitCode !== null) return;
  u.send('quit');
  const r = await Promise.race([u.exited, sleep(6000).then(() => 'timeout')]);
  if (r === 'timeout') { u.proc.kill('SIGKILL'); throw new Error(`${u.name} did not quit`); }
}

async function sippeer(name, k, user, extra = []) {
  const port = await freePort();
  const p = start(name, SIPPEER, ['--listen', `127.0.0.1:${port}`,
    '--register', `sip:${user}@ims.test`, '--password', `${user}pw`,
    '--proxy', k.uri].concat(extra));
  await p.wait(/^REGISTERED/, 5000, 'sippeer registered');
  return p;
}

async function registered(u, idx = 0, user = 'store1') {
  u.send(`register ${idx} sip:${user}@ims.test ${user}@ims.test ${user}pw`);
  return u.wait(new RegExp(`^REG idx=${idx} state=OK`), 5000, 'REG OK');
}

// (1) digest MD5 through Kamailio; a wrong password ends FAILED
async function register() {
  const k = await startKamailio('kam-reg');
  const u = await uadrive('ua-reg', [k.uri]);
  try {
    const ok = await registered(u);
    assert(ok.includes(`pcscf=${k.uri}`), `REG names the P-CSCF (${ok})`);
    assert(/assoc=<sip:store1@ims.test>, <tel:\+4930999>/.test(ok),
      `P-Associated-URI delivered raw (${ok})`);
    u.send('register 1 sip:store2@ims.test store2@ims.test wrongpw');
    const bad = await u.wait(/^REG idx=1 state=FAILED/, 5000, 'REG FAILED');
    assert(/code=904/.test(bad), `wrong password: 904 no matching challenge (${bad})`);
    // the Contact carries the MMTel ICSI (TS 24.229 5.1.1.2)
    assert(/REGISTER .*ct=<sip:store1@127\.0\.0\.1:\d+>;.*\+g\.3gpp\.icsi-ref="urn%3Aurn-7%3A3gpp-service\.ims\.icsi\.mmtel"/.test(k.err),
      'REGISTER Contact with the ICSI feature tag');
    await quit(u);
    // un-REGISTER (Expires 0) on shutdown
    await waitFor(() => (k.err.match(/REGISTER sip:ims.test .*ct=.*expires=0|REGISTER sip:ims.test .*ct=\*/g)
      || []).length >= 1 || (k.err.match(/REGISTER sip:ims.test/g) || []).length >= 5,
    3000, 'un-REGISTER on shutdown');
    assert(/^DONE/m.test(u.out), 'uadrive shut down cleanly');
  } finally {
    await stop(u);
    await stopKamailio(k);
  }
}

// (2) the first P-CSCF is dead: register through the second, REG names it
async function failover() {
  const k = await startKamailio('kam-fo');
  const dead = `sip:127.0.0.1:${await freePort()}`;
  const u = await uadrive('ua-fo', [dead, k.uri]);
  try {
    const ok = await registered(u);
    assert(ok.includes(`pcscf=${k.uri}`), `registered via the second P-CSCF (${ok})`);
    assert(u.has(new RegExp(`^REG idx=0 state=TRYING code=0 pcscf=${dead}`)),
      'tried the first P-CSCF first');
    assert(u.has(new RegExp(`^REG idx=0 state=TRYING code=5\\d\\d pcscf=${k.uri} .*reason=failover`)),
      `failover reported:\n${u.out}`);
    await quit(u);
  } finally {
    await stop(u);
    await stopKamailio(k);
  }
}

module.exports = [
  { name: 'register', fn: register, timeout: 30000 },
  { name: 'failover', fn: failover, timeout: 30000 },
];
