/** The human report and the summary it renders. */
export { renderReport, type ReportOptions } from './render.ts';
export { summaryMetric } from './summary.ts';
export type { ArchitectureEvaluation, Plots, Summary, Winner } from './summary.ts';
