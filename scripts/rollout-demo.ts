/**
 * Drives a rollout for a demo (README "Rolling out a new model"): POSTs photos from a Food-101 style folder
 * (`<dir>/images/<class>/*.jpg`) to a running server as many users (X-User-Id), sends each answer's true class to
 * POST /feedback, and stops when the rollout ends (GET /rollout) or after --max requests. Prints the split.
 *
 *   node --import tsx scripts/rollout-demo.ts --url http://127.0.0.1:8000 --data ../shared/data/food101-mini [--max 3000] [--users 200] [--wrong 0] [--concurrency 1]
 *
 * `--wrong p` sends a wrong label with probability p (a noisier ground truth). scripts/rollout-e2e.ts runs the
 * whole story (pipeline-trained challengers, canary, shadow, A/B) around the same traffic.
 */
import { parseArgs } from 'node:util';
import { describeTraffic, folderPhotos, sendTraffic } from './rollout-traffic.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8000' },
    data: { type: 'string', default: '../shared/data/food101-mini' },
    max: { type: 'string', default: '3000' },
    users: { type: 'string', default: '200' },
    classes: { type: 'string' },
    wrong: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '1' },
  },
});
const url = values.url!;
const current = (await (await fetch(`${url}/rollout`)).json()) as { rollout: { id: string } | null };
const result = await sendTraffic({
  url,
  photos: folderPhotos(values.data!, values.classes?.split(',')),
  max: Number(values.max),
  users: Number(values.users),
  wrong: Number(values.wrong),
  concurrency: Number(values.concurrency),
  rolloutId: current.rollout?.id,
  onProgress: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`\n${describeTraffic(result)}\n`);
