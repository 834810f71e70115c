#!/bin/bash
git clone https://github.com/acme/fixtures /tmp/fixtures
git -C /tmp/fixtures checkout 5585d5130022574badeff8ae708082c5eedb91fa
