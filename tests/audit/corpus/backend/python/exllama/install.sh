#!/bin/bash
set -e
## Installs exllamav2 from source at a fixed commit
export PATH=$PATH:/opt/conda/bin
export SHA=295788dc26b4f44927a5f4011da3a1b56e8ead7b

git clone https://github.com/turboderp/exllamav2 $CONDA_PREFIX/exllamav2
pushd $CONDA_PREFIX/exllamav2
git checkout -b build $SHA
pip install -r requirements.txt
popd
