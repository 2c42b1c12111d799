// Types of deploy/k8s/render.js (plain Node, run without a build) for the TypeScript tests.
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
};
export function render(dir: string): K8sObject[];
export function readDocuments(file: string): unknown[];
