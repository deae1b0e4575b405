/**
 * Loading a pipeline file: YAML (with positions) -> ${ENV} interpolation -> --set overrides -> JSON Schema
 * validation (every error in one pass) -> cross-checks (resources, needs, step checks) -> a frozen config.
 * Nothing runs before this has succeeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import { hashValue } from '../hash.ts';
import type { Registry } from '../registry.ts';
import type { AnyStep, InputsContext, SectionDefinition } from '../step.ts';
import { ajvIssues, type RawIssue } from './ajv-issues.ts';
import { interpolate, type InterpolationIssue } from './interpolate.ts';
import { applyOverrides, type Override } from './overrides.ts';
import { unsafeValueIssues } from './safe-keys.ts';
import type { PipelineConfig, StageConfig } from './pipeline-config.ts';
import { LOCAL_STEP, pipelineSchema } from './schema.ts';
import { didYouMean } from './suggest.ts';
import { formatPath, YamlSource } from './source.ts';

export interface LoadOptions {
  readonly overrides?: readonly Override[];
  readonly env?: NodeJS.ProcessEnv;
  /** Report stages whose step does not exist in `missingSteps` instead of failing (for `pipeline plan`). */
  readonly lenientSteps?: boolean;
}

type Plain = Record<string, unknown>;

function isMap(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A file as messages name it: relative to the current directory when inside it. */
function shownPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

class IssueList {
  readonly items: ConfigIssue[] = [];
  /** Paths whose value could not be interpolated: schema errors there would only repeat the problem. */
  readonly #uninterpolated = new Set<string>();
  readonly #file: string;
  constructor(
    readonly source: YamlSource,
    readonly overrides: readonly Override[],
  ) {
    this.#file = shownPath(source.file);
  }

  addInterpolation(raw: InterpolationIssue): void {
    this.#uninterpolated.add(formatPath(raw.path));
    this.add(raw);
  }

  add(raw: RawIssue): void {
    const text = formatPath(raw.path);
    if (this.#uninterpolated.has(text) && !raw.message.includes('interpolation') && !raw.message.includes('environment variable')) return;
    const override = this.overrides.find((o) => text === o.path.join('.') || text.startsWith(`${o.path.join('.')}.`));
    if (override) {
      this.items.push({ file: `--set ${override.text}`, path: text, message: raw.message });
      return;
    }
    const pos = this.source.locate(raw.path, { key: raw.atKey });
    this.items.push({ file: this.#file, line: pos?.line, col: pos?.col, path: text, message: raw.message });
  }

  push(issue: ConfigIssue): void {
    this.items.push({ ...issue, file: this.#file });
  }

  /** Throws every issue found, in file order. */
  throwIfAny(): void {
    if (!this.items.length) return;
    const sorted = [...this.items].sort((a, b) =>
      a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) : a.file < b.file ? -1 : 1,
    );
    throw new ConfigError(sorted);
  }
}

const validators = new WeakMap<Registry, ReturnType<Ajv2020['compile']>>();

/** Compiles the registry's schema once (Fastify-style) and reuses it. */
function validatorFor(registry: Registry): ReturnType<Ajv2020['compile']> {
  let v = validators.get(registry);
  if (!v) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false, verbose: true });
    v = ajv.compile(pipelineSchema(registry));
    validators.set(registry, v);
  }
  return v;
}

async function loadLocalSteps(doc: Plain, file: string, registry: Registry, issues: IssueList): Promise<Registry> {
  const stages = (doc.stages ?? {}) as Record<string, { step?: unknown }>;
  const extra: AnyStep[] = [];
  for (const [name, stage] of Object.entries(stages)) {
    const ref = stage?.step;
    if (typeof ref !== 'string' || !new RegExp(LOCAL_STEP).test(ref) || extra.some((s) => s.name === ref)) continue;
    const modulePath = path.resolve(path.dirname(file), ref);
    if (!fs.existsSync(modulePath)) {
      issues.add({ path: ['stages', name, 'step'], message: `local step module ${ref} does not exist (looked for ${shownPath(modulePath)}); fix the path or use a built-in step` });
      continue;
    }
    try {
      const mod = (await import(pathToFileURL(modulePath).href)) as { default?: AnyStep };
      const step = mod.default;
      if (!step || typeof step.run !== 'function' || !step.schema) throw new Error('its default export is not a step (use defineStep)');
      extra.push({ ...step, name: ref });
    } catch (err) {
      issues.add({ path: ['stages', name, 'step'], message: `cannot load local step ${modulePath}: ${(err as Error).message}` });
    }
  }
  return extra.length ? { steps: [...registry.steps, ...extra], sections: registry.sections } : registry;
}

function crossCheck(doc: Plain, registry: Registry, issues: IssueList, view: InputsContext): StageConfig[] {
  const resources = doc.resources as Record<string, number>;
  const stages: StageConfig[] = [];
  const seenSteps = new Map<string, string>();
  // A stage whose step is unknown or failed to load may be the one later stages need: do not cascade.
  let unresolvedBefore = false;
  for (const [name, raw] of Object.entries(doc.stages as Record<string, Plain>)) {
    if (!isMap(raw)) continue;
    const step = registry.steps.find((s) => s.name === raw.step);
    if (!step) {
      unresolvedBefore = true;
      continue;
    }
    const resource = (raw.resource as string | undefined) ?? step.resource ?? Object.keys(resources)[0] ?? 'cpu';
    if (!(resource in resources)) {
      issues.add({ path: ['stages', name, raw.resource ? 'resource' : 'step'], message: `resource '${resource}' is not declared under resources:${didYouMean(resource, Object.keys(resources))}` });
    }
    const needs: Record<string, string> = {};
    for (const need of step.needs ?? []) {
      const provider = seenSteps.get(need);
      if (provider) needs[need] = provider;
      else if (!unresolvedBefore) issues.add({ path: ['stages', name, 'step'], message: `step '${step.name}' needs a '${need}' stage before it; add one earlier in stages:` });
    }
    const params = (raw.with ?? {}) as Plain;
    // Checks run even when the schema found problems (one pass reports everything), so they may meet bad data.
    if (step.check) {
      try {
        for (const problem of step.check(params, view)) issues.add({ path: ['stages', name, 'with', ...problem.path], message: problem.message });
      } catch {
        // the data it choked on is already reported by the schema
      }
    }
    seenSteps.set(step.name, name);
    stages.push({ name, step, params, resource, needs, description: raw.description as string | undefined });
  }
  return stages;
}

/** Reads, interpolates, overrides and validates a pipeline file; throws ConfigError listing every problem. */
export async function loadPipeline(file: string, registry: Registry, opts: LoadOptions = {}): Promise<PipelineConfig> {
  const absFile = path.resolve(file);
  const source = YamlSource.read(absFile, shownPath(absFile));
  const overrides = opts.overrides ?? [];
  const issues = new IssueList(source, overrides);
  source.syntaxIssues().forEach((i) => issues.push(i));
  issues.throwIfAny();

  const parsed = source.toValue() ?? {};
  // Forbidden keys (merge keys included), before any code applies the file's keys.
  unsafeValueIssues(parsed, [], { keys: true }).forEach((i) => issues.add(i));
  overrides.forEach((o) => unsafeValueIssues(o.value, o.path, { keys: true }).forEach((i) => issues.add(i)));
  issues.throwIfAny();

  const interpolationIssues: InterpolationIssue[] = [];
  const doc = interpolate(parsed, opts.env ?? process.env, interpolationIssues) as Plain;
  interpolationIssues.forEach((i) => issues.addInterpolation(i));
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    issues.push({ file: absFile, line: 1, col: 1, path: '', message: 'expected a map of keys (name, stages, ...)' });
    issues.throwIfAny();
  }
  applyOverrides(doc, overrides);
  // After interpolation and overrides (`--set ...lr=.inf`, `${LR:-.inf}`): the schema validator accepts Infinity.
  unsafeValueIssues(doc, [], { numbers: true }).forEach((i) => issues.add(i));
  for (const stage of Object.values((doc.stages ?? {}) as Record<string, Plain>)) {
    if (stage && typeof stage === 'object' && stage.with === undefined) stage.with = {};
  }

  const effective = await loadLocalSteps(doc, absFile, registry, issues);
  const validate = validatorFor(effective);
  const missingSteps: { stage: string; step: string; message: string }[] = [];
  for (const issue of validate(doc) ? [] : ajvIssues(validate.errors ?? [])) {
    const [top, stage, key] = issue.path;
    const stepValue = (doc.stages as Record<string, Plain> | undefined)?.[String(stage)]?.step;
    if (opts.lenientSteps && issue.path.length === 3 && top === 'stages' && key === 'step' && typeof stepValue === 'string') {
      missingSteps.push({ stage: String(stage), step: stepValue, message: issue.message });
    } else issues.add(issue);
  }
  // Cross-checks still run when the schema found problems elsewhere, so one pass reports everything.
  if (!isMap(doc.stages) || !isMap(doc.resources) || typeof doc.workdir !== 'string') issues.throwIfAny();

  const workdir = path.resolve(path.dirname(absFile), doc.workdir as string);
  const sections = Object.fromEntries(effective.sections.map((s) => [s.key, doc[s.key]]));
  const resolvePath = (p: string): string => path.resolve(workdir, p);
  const view: InputsContext = {
    workdir,
    resolvePath,
    section: <S extends SectionDefinition['schema']>(def: SectionDefinition<S>) => sections[def.key] as never,
  };
  const stages = crossCheck(doc, effective, issues, view);
  issues.throwIfAny();

  const p = doc.paths as Record<'data' | 'experiments' | 'outputs', string>;
  return deepFreeze({
    name: doc.name as string,
    description: doc.description as string | undefined,
    file: absFile,
    workdir,
    paths: { data: resolvePath(p.data), experiments: resolvePath(p.experiments), outputs: resolvePath(p.outputs) },
    resources: doc.resources as Record<string, number>,
    stages,
    stageOrder: Object.keys(doc.stages as Plain),
    missingSteps,
    sections,
    resolved: doc,
    hash: hashValue(doc),
  });
}

