import { startDockerd } from './local-services';
startDockerd('/work/main/.data/try/docker').then((d) => console.log('dockerd', d.socket));
