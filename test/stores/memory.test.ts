import memoryStore from '../../src/stores/memory.js';
import { testStore } from './store-suite.js';

testStore('memory', () => ({ store: memoryStore() }));
