// Cockpit: the administrator's page for registering and pairing applications (mounted into #root).
import { render } from 'preact';
import { App } from './app';

render(<App />, document.getElementById('root')!);
