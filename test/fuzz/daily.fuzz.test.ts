import { fuzzWebhooks } from './suite.js';

fuzzWebhooks('daily');
