import { fuzzWebhooks } from './suite.js';

fuzzWebhooks('teams');
