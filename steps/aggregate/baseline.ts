/** The summary's comparison of the winner with the baseline (the linear probe): margins on CV and on test. */
import type { BaselineVerdict } from '../../ml/selection/baseline-rule.ts';
import type { CvMeans } from '../../ml/selection/cv-metrics.ts';
import type { BaselineComparison, TestMetrics } from '../../ml/report/summary.ts';

export function compareWithBaseline(
  pick: { architecture: string; combination: string; cv: CvMeans },
  runId: string,
  test: TestMetrics,
  winnerCv: CvMeans,
  winnerTest: TestMetrics,
  verdict: BaselineVerdict,
): BaselineComparison {
  return {
    architecture: pick.architecture,
    combination: pick.combination,
    runId,
    cv: pick.cv,
    test,
    margin: {
      cv_accuracy: winnerCv.accuracy - pick.cv.accuracy,
      cv_macro_f1: winnerCv.macro_f1 - pick.cv.macro_f1,
      test_accuracy: winnerTest.accuracy - test.accuracy,
      test_macro_f1: winnerTest.macro_f1 - test.macro_f1,
    },
    verdict,
  };
}
