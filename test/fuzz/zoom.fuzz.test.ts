import { fuzzWebhooks } from './suite.js';

fuzzWebhooks('zoom');
