// Library entry: embed the gateway in another Node program.
export { startGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { parseConfig, loadConfigFile, defaultConfig, ConfigError } from './config/load.js';
export type { Config } from './config/types.js';
