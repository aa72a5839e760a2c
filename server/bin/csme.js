#!/usr/bin/env node
// The `csme` command. The server runs from its TypeScript sources through tsx's loader,
// so a checkout needs no build step for the server (the web app is built by `npm install`).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
