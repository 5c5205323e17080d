import { fuzzWebhooks } from './suite.js';

fuzzWebhooks('agora');
