#!/usr/bin/env node
// `npm run dev`: the server restarted on every change (tsx watch) and the web app with hot reload
// (Vite on http://localhost:5173, which forwards /api to the server). Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.PORT ?? '8080';
const env = {
  ...process.env,
  PORT: apiPort,
  CSME_PUBLIC_URL: process.env.CSME_PUBLIC_URL ?? 'http://localhost:5173',
  NODE_ENV: 'development',
};
const children = [
  spawn(process.execPath, [`${root}node_modules/tsx/dist/cli.mjs`, 'watch', '--clear-screen=false', `${root}server/src/main.ts`, 'start'], {
    cwd: root,
    env,
    stdio: 'inherit',
  }),
  spawn(process.execPath, [`${root}node_modules/vite/bin/vite.js`, '--host', '127.0.0.1'], {
    cwd: `${root}web`,
    env: { ...env, CSME_DEV_API: `http://127.0.0.1:${apiPort}` },
    stdio: 'inherit',
  }),
];
const stop = () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGINT');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const c of children)
  c.on('exit', (code) => {
    if (code && code !== 130) stop();
  });
