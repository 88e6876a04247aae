# Sourced, from the repository root, by the scripts that run on the GPU machine (no Maven, no Java there): unpacks
# the JRE that scripts/gpu-pack.sh put in .device/ and sets jre (where it is) and cp (the jars of .device/lib).
if [ ! -f .device/jre.tar.xz ]; then
    echo "no .device/jre.tar.xz: run scripts/gpu-pack.sh on the build machine and carry .device" >&2
    exit 2
fi
jre=/tmp/hyenac-jre
rm -rf "$jre" && mkdir -p "$jre"
tar -C "$jre" -xJf .device/jre.tar.xz
cp=$(ls .device/lib/*.jar | tr '\n' ':')
