/**
 * The product's registry: every step and top-level section, listed explicitly (no directory scanning).
 * Adding a step = writing a module with defineStep and adding it here.
 */
import type { Registry } from '../runner/registry.ts';
import { aggregateStep } from './aggregate/index.ts';
import { exportStep } from './export/index.ts';
import { featuresStep } from './features/index.ts';
import { gridStep } from './grid/index.ts';
import { monitorStep } from './monitor/index.ts';
import { registerStep } from './register/index.ts';
import { serveStep } from './serve/index.ts';
import { architecturesSection } from './sections/architectures.ts';
import { artifactsSection } from './sections/artifacts.ts';
import { backboneSection } from './sections/backbone.ts';
import { dataSection } from './sections/data.ts';
import { storeSection } from './sections/store.ts';
import { splitStep } from './split/index.ts';
import { trainStep } from './train/index.ts';

export const registry: Registry = {
  steps: [splitStep, featuresStep, gridStep, trainStep, aggregateStep, exportStep, registerStep, serveStep, monitorStep],
  sections: [dataSection, backboneSection, architecturesSection, storeSection, artifactsSection],
};
