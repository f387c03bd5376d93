// Real peers for the integration tests, each ended by its PID: Kamailio
// (the IMS core's registrar/proxy), sippeer (our sofia-sip test phone),
// baresip (a real phone), all on loopback.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const { freePort, sleep, assert, waitFor } = lib;

const BUILDDIR = process.env.SG_BUILDDIR || path.resolve(__dirname, '../../build');
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

async function sippeer(name, k, user, extra = []) {
  const port = await freePort();
  const p = start(name, SIPPEER, ['--listen', `127.0.0.1:${port}`,
    '--register', `sip:${user}@ims.test`, '--password', `${user}pw`,
    '--proxy', k.uri].concat(extra));
  await p.wait(/^REGISTERED/, 5000, 'sippeer registered');
  return p;
}

module.exports = { BUILDDIR, start, stop, startKamailio, stopKamailio, sippeer };
