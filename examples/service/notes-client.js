// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A client of the notes service, in GJS:
//
//   gjs -m notes-client.js TARGET [TEXT]
//
// TARGET is the service's address (unix:path=..., unix:abstract=...,
// tcp:...) or bus:NAME for a service on the session bus. Adds TEXT as a
// note, if given, and prints every note.

import GLib from 'gi://GLib';
import ComlinkGI from 'gi://Comlink?version=1';
import System from 'system';

async function main(Comlink, [target, text]) {
    const notes = target.startsWith('bus:')
        ? await Comlink.connectBus(target.slice('bus:'.length))
        : await Comlink.connect(target);

    if (text !== undefined)
        await notes.add(text);
    const list = await notes.list();
    list.forEach((note, i) => print(`${i + 1}. ${note}`));

    // Disconnecting drops this client's session in the service
    Comlink.disconnect(notes);
}

if (ARGV.length < 1 || ARGV.length > 2) {
    printerr('usage: gjs -m notes-client.js TARGET [TEXT]');
    System.exit(2);
}

// The module is a resource of the library: load the library first (see
// doc/gjs.md, "Importing the module")
void ComlinkGI.Client.$gtype;
const loop = new GLib.MainLoop(null, false);
let status = 0;
import('resource:///org/gnome/Comlink/js/comlink.js')
    .then(Comlink => main(Comlink, ARGV))
    .catch(e => {
        printerr(`notes-client.js: ${e.message}`);
        status = 1;
    })
    .finally(() => loop.quit());
loop.run();
System.exit(status);
