/** Renderer entry: zod settings (must come first), global styles, then the app shell. */
import './lib/zodSetup.ts';
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
