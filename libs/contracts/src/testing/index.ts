// @vigil/contracts/testing: fixtures for tests only (a sample of every event type). Plain data, no
// test-framework imports; kept out of the @vigil/contracts barrel and out of the production build.
export { SAMPLE_EVENTS, sampleEvent } from './samples';
export { ocsfProblems, ecsProblems, OCSF_SCHEMA_FILE } from './soc-schemas';
