import type { ConfigOf } from '@vigil/config';
import type { serviceSchema } from '@vigil/config';

/** What every service's validated configuration has in common. */
export type BaseServiceConfig = ConfigOf<ReturnType<typeof serviceSchema>>;
