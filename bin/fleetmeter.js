#!/usr/bin/env node
// The `fleetmeter` command. Sources are TypeScript; tsx compiles them on load so that
// `npx fleetmeter` works right after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
