import { Baseline1763900000000 } from './1763900000000-baseline';

/** Applied in this order; append new migrations, never edit a landed one. */
export const migrations = [Baseline1763900000000];
