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
  p.exited = new Promise((resolve) => {
    proc.on('exit', (code) => resolve(code));
    // a program that cannot start (not built) fails the test, not the runner
    proc.on('error', (e) => { p.err += `spawn failed: ${e.message}\n`; resolve(-1); });
  });
  p.send = (line) => proc.stdin.write(`${line}\n`);
  p.lines = () => (p.out + '\n' + p.err).split('\n').filter(Boolean);
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
// defines: ims.cfg's -A names (e.g. 'WITH_TCP': SIP over TCP as well).
async function startKamailio(name, defines = []) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(lib.OUTDIR, `${name}-`));
  const pidFile = path.join(dir, 'kamailio.pid');
  const k = start(name, '/usr/sbin/kamailio', ['-f', KCFG, '-DD', '-E', '-Y', dir,
    '-P', pidFile, '-w', dir, '-A', `SIPPORT=${port}`,
    ...defines.flatMap((d) => ['-A', d])]);
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

// ctrl_tcp speaks netstrings "len:json,"; events and command replies.
function ctrlClient(port) {
  const net = require('net');
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => resolve(c));
    const c = { sock, events: [], buf: '' };
    sock.on('data', (d) => {
      c.buf += d.toString();
      for (;;) {
        const colon = c.buf.indexOf(':');
        if (colon < 0) break;
        const len = Number(c.buf.slice(0, colon));
        if (c.buf.length < colon + 1 + len + 1) break;
        const body = c.buf.slice(colon + 1, colon + 1 + len);
        c.buf = c.buf.slice(colon + 1 + len + 1);
        try { c.events.push(JSON.parse(body)); } catch (e) { /* not JSON */ }
      }
    });
    sock.on('error', reject);
    c.command = (command, params = '') => {
      const body = JSON.stringify({ command, params, token: String(Date.now()) });
      sock.write(`${Buffer.byteLength(body)}:${body},`);
    };
    c.close = () => sock.destroy();
  });
}

// baresip as the rep's phone: registered through Kamailio, auto-answer,
// a 440 Hz tone and a synthetic video, RTP statistics at hang-up; events
// (DTMF, call state) come over ctrl_tcp. mediaenc: baresip's media
// encryption for the account, e.g. 'srtp-mand' (SDES, RFC 4568, RTP/SAVP)
// or 'srtp' (best effort); none by default.
// domain, regint and registered (false: do not wait for the registration)
// serve the showroom tests, where baresip registers with the gateway.
async function baresip(name, k, user, password, { audio = 'opus/48000/2,PCMU/8000/1',
  video = 'VP8', answer = 'auto', contact = '', mediaenc = '', domain = 'ims.test',
  regint = 600, registered = true } = {}) {
  const dir = fs.mkdtempSync(path.join(lib.OUTDIR, `${name}-`));
  const sipPort = await lib.freePorts(2);   /* SIP and SIP/TLS on port + 1 */
  const ctrlPort = await freePort();
  fs.writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${sipPort}`,
    'net_interface 127.0.0.1',
    'audio_source ausine,440',
    'audio_player aubridge,nil',
    'audio_alert aubridge,nil',
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'video_source fakevideo,nil',
    'video_display fakevideo,nil',
    'video_size 320x240',
    'video_fps 15',
    'rtp_stats yes',
    // RTP above the kernel's ephemeral range and away from lib.freePort's:
    // baresip's default (1024-49152) could take a port a test handed out
    'rtp_ports 61000-64999',
    `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
    'module_path /usr/lib/baresip/modules',
    'module g711.so', 'module opus.so', 'module vp8.so', 'module amr.so',
    'module avcodec.so', 'module ausine.so',
    'module aubridge.so', 'module fakevideo.so', 'module ctrl_tcp.so',
    'module stdio.so', 'module menu.so', 'module contact.so',
    'module_app account.so',
    ...(mediaenc ? ['module srtp.so'] : []),
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'accounts'),
    `<sip:${user}@${domain}>;auth_user=${user};auth_pass=${password};` +
    `outbound="${k.uri}";regint=${regint};answermode=${answer};` +
    `audio_codecs=${audio};video_codecs=${video}` +
    `${mediaenc ? `;mediaenc=${mediaenc}` : ''}\n`);
  fs.writeFileSync(path.join(dir, 'contacts'), contact ? `"peer" <${contact}>\n` : '');
  const p = start(name, '/usr/bin/baresip', ['-f', dir]);
  p.dir = dir;
  if (registered) {
    await waitFor(() => /registered successfully|200 OK/.test(p.out + p.err) ||
      p.proc.exitCode !== null, 10000, `${name} registered:\n${p.out}\n${p.err}`);
  }
  assert(p.proc.exitCode === null, `${name} runs:\n${p.out}\n${p.err}`);
  // not waiting for the registration: wait for ctrl_tcp to listen
  p.ctrl = await waitFor(() => ctrlClient(ctrlPort).catch(() => null), 5000,
    `${name}: ctrl_tcp`);
  return p;
}

// storegw-hub (hub/) registering reps with registrar (a SIP URI) for
// store1 over TCP: reps [{id, colour, freq, answer = true}], synthetic
// 320x240@15 cameras and tones; resolves once its status API answers.
// storegw-hub registered with registrar (a SIP URI) for reps: objects
// {id, colour, freq, answer, video: {key: value}, extra: 'more keys;'} or
// whole libconfig elements as strings. opts: transport (default tcp),
// keepalive (s; default the hub's), expires (60). The process of start()
// with sipPort, url and status(); end it with stop().
async function storegwHub(name, registrar, reps, opts = {}) {
  const control = await freePort();
  const sip = await freePort();
  const pmin = await lib.freePorts(20);
  const kv = (o) => Object.entries(o || {}).map(([k, v]) => `${k} = "${v}";`).join(' ');
  const rep = (r) => (typeof r === 'string' ? r : `  { id = "${r.id}"; name = "${r.id}"; ` +
    `password = "${r.id}pw"; answer = ${r.answer === false ? 'false' : 'true'}; ` +
    `video = { colour = "${r.colour || '#808080'}"; width = 320; height = 240; fps = 15; ` +
    `${kv(r.video)} }; audio = { freq_hz = ${r.freq || 440}; }; ${r.extra || ''} }`);
  const file = path.join(lib.OUTDIR, `${name}.conf`);
  fs.writeFileSync(file, [
    `hub: { log_level = "info"; control = "127.0.0.1:${control}"; };`,
    `gateway: { registrar = "${registrar}"; transport = "${opts.transport || 'tcp'}"; ` +
      `store = "store1"; expires = ${opts.expires || 60};` +
      `${opts.keepalive ? ` keepalive_s = ${opts.keepalive};` : ''}`,
    `  sip_listen = "127.0.0.1:${sip}"; media_addr = "127.0.0.1";`,
    `  port_min = ${pmin}; port_max = ${pmin + 19}; };`,
    `reps = (\n${reps.map(rep).join(',\n')}\n);`, ''].join('\n'));
  const h = start(name, path.join(BUILDDIR, 'hub/storegw-hub'), ['-c', file]);
  await h.wait(/status on http/, 10000, 'storegw-hub started');
  h.sipPort = sip;
  h.url = `http://127.0.0.1:${control}`;
  h.status = async () => JSON.parse((await lib.httpGet(`${h.url}/status`)).text);
  return h;
}

// ---- the demo store's side: its secret, its tokens, a gateway for it ----

const SECRET = 'demo-store-signing-secret-0123456789abcdef';

const b64u = (b) => Buffer.from(b).toString('base64').replace(/=+$/, '')
  .replace(/\+/g, '-').replace(/\//g, '_');

// What a store's backend does: a short-lived HS256 token naming the store,
// the destinations allowed and a single-use id (README "Tokens").
function token(claims = {}, secret = SECRET) {
  const crypto = require('crypto');
  const now = Math.floor(Date.now() / 1000);
  const h = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const p = b64u(JSON.stringify({ iss: 'demo', iat: now, exp: now + 120,
    jti: crypto.randomUUID(), dest: ['+4930123'], ...claims }));
  const s = b64u(crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest());
  return `${h}.${p}.${s}`;
}

// storegw with the SIP UA through Kamailio k and the demo store (IMS
// identity store1@ims.test, +4930* allowed, +49309* denied); resolves once
// the store's identity is registered. extra: {pcscf, sip, media, rtpBase}.
async function imsGateway(name, k, extra = {}) {
  const base = (extra.rtpBase || 31000) + (process.pid % 100) * 40;
  const gw = await lib.startGateway(name, {
    sip: { enabled: true, bind: `127.0.0.1:${await freePort()}`,
      pcscf: extra.pcscf || [k.uri], media_addr: '127.0.0.1',
      rtp_port_min: base, rtp_port_max: base + 39, invite_timeout_s: 8,
      ...(extra.sip || {}) },
    media: { ...(extra.media || {}) },
    stores: [{ id: 'demo', secret: SECRET, country_code: '49', national_prefix: '0',
      international_prefix: '00', allow: ['+4930*'], deny: ['+49309*'],
      ims_impu: 'sip:store1@ims.test', ims_impi: 'store1@ims.test',
      ims_password: 'store1pw' }],
  });
  await waitFor(() => /IMS registration OK/i.test(gw.log()), 10000,
    `the store's IMS registration:\n${gw.log()}`);
  return gw;
}

module.exports = {
  SECRET, token, imsGateway, BUILDDIR, start, stop, startKamailio, stopKamailio, sippeer, baresip,
  storegwHub };

// sippeer's RTP counters: "stats" on its stdin prints "RTP_RX n" (RTP that
// reached its SDP port) and "RTP_TX n" (tone packets it sent).
async function sippeerRtp(p, ms = 3000) {
  const count = () => (p.out.match(/^RTP_TX \d+$/mg) || []).length;
  const n = count();
  p.send('stats');
  await waitFor(() => count() > n, ms, `${p.name}: RTP counters\n${p.out}`);
  const last = (re) => Number([...p.out.matchAll(re)].pop()[1]);
  return { rx: last(/^RTP_RX (\d+)$/mg), tx: last(/^RTP_TX (\d+)$/mg) };
}

// how many lines of a child's stdout match re
function countLines(p, re) {
  return p.lines().filter((l) => re.test(l)).length;
}

module.exports.sippeerRtp = sippeerRtp;
module.exports.countLines = countLines;
