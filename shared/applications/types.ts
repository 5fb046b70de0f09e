// The Application: what an administrator registers and pairs, as stored and as served.

export type ApplicationStatusCondition = 'INITIAL' | 'CONNECTED' | 'FAILED';

export interface ApplicationStatus {
  condition: ApplicationStatusCondition;
  /** RFC 3339 UTC: when the condition was last set. */
  timestamp: string;
}

/** Label key -> one value or several. */
export type Labels = Record<string, string | string[]>;

export interface Application {
  tenant: string;
  id: string;
  name: string;
  description?: string;
  providerName?: string;
  baseUrl?: string;
  labels?: Labels;
  status: ApplicationStatus;
  createdAt: string;
  updatedAt: string;
}

export interface ApplicationRegisterInput {
  name: string;
  description?: string;
  providerName?: string;
  baseUrl?: string;
  labels?: Labels;
}

/** A field left out stays as it is; a field set to null is cleared. */
export interface ApplicationUpdateInput {
  description?: string | null;
  providerName?: string | null;
  baseUrl?: string | null;
  labels?: Labels | null;
}

export interface ApplicationPage {
  data: Application[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
