/**
 * The product's registry: every step and top-level section, listed explicitly (no directory scanning).
 * Adding a step = writing a module with defineStep and adding it here.
 */
import type { Registry } from '../runner/registry.ts';
import { gridStep } from './grid/index.ts';
import { architecturesSection } from './sections/architectures.ts';
import { backboneSection } from './sections/backbone.ts';
import { dataSection } from './sections/data.ts';
import { splitStep } from './split/index.ts';

export const registry: Registry = {
  steps: [splitStep, gridStep],
  sections: [dataSection, backboneSection, architecturesSection],
};
