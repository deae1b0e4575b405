import type { Command } from 'commander';
import { loadPipeline } from '../../config/load.ts';
import { Engine } from '../../engine.ts';
import { LogSink } from '../../logger.ts';
import { selectStages } from '../../plan.ts';
import type { Product } from '../../services.ts';
import { overridesFrom, selectionOptions, terminal } from '../shared.ts';

interface PlanOptions {
  set?: string[];
  only?: string[];
  from?: string;
  until?: string;
}

export function planCommand(program: Command, product: Product): void {
  selectionOptions(
    program
      .command('plan')
      .description('Show the stages in order and whether each is cached or would run (exit 1 if a step is missing).')
      .argument('<file>', 'pipeline file (YAML)'),
    'only these stages (repeatable or comma-separated)',
  ).action(async (file: string, opts: PlanOptions) => {
      const config = await loadPipeline(file, product.registry, { overrides: overridesFrom(opts.set), lenientSteps: true });
      const term = terminal();
      const c = term.color;
      const services = await product.openServices(config);
      const engine = new Engine(config, new LogSink(term), services);
      try {
        const selected = new Set(selectStages(config, opts).map((s) => s.name));
        const rows: string[][] = [];
        for (const [i, name] of config.stageOrder.entries()) {
          const stage = config.stages.find((s) => s.name === name);
          const missing = config.missingSteps.find((m) => m.stage === name);
          let status: string;
          if (missing) status = c.red(`missing step: ${missing.message}`);
          else if (!selected.has(name)) status = c.gray('not selected');
          else {
            const s = await engine.status(stage!);
            status = s.kind === 'cached' ? c.green(`cached (${s.finishedAt})`) : s.kind === 'pending' ? c.yellow(`pending: ${s.reason}`) : s.kind;
          }
          rows.push([String(i + 1), name, missing?.step ?? stage!.step.name, stage?.resource ?? '', status]);
        }
        const widths = [0, 1, 2, 3].map((col) => Math.max(...rows.map((r) => r[col].length), ['#', 'stage', 'step', 'pool'][col].length));
        const line = (r: string[]) => r.map((cell, col) => (col < 4 ? cell.padEnd(widths[col]) : cell)).join('  ');
        process.stdout.write(`${c.bold(line(['#', 'stage', 'step', 'pool', 'status']))}\n${rows.map(line).join('\n')}\n`);
        if (config.missingSteps.length) process.exitCode = 1;
      } finally {
        await services.close();
      }
    });
}
