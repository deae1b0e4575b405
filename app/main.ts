/** The `pipeline` command of this product. */
import { runCli } from '../runner/cli/main.ts';
import { product } from './product.ts';

await runCli(product);
