/** Export to MLflow's file-store layout (`mlflow ui --backend-store-uri <dir>`). */
export { exportMlflow, type MlflowExportOptions, type MlflowExportSummary } from './export.ts';
