// The virtual module `cockpit-assets`: the built Cockpit page, put into the cockpit bundle by cockpit/esbuild-plugins.cjs.
declare module 'cockpit-assets' {
  const assets: import('./site').CockpitAssets;
  export default assets;
}
