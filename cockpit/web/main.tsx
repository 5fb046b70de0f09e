// Cockpit: the administrator's page (placeholder while the views are written).
import { render } from 'preact';

render(<p>Cockpit</p>, document.getElementById('root')!);
