"""Hand-written rTiles for a 4096^3 fp32 matmul, to measure on a GPU how roller's GPU lowering
responds to the block and thread tile (what top-k measurement would choose among).

    python bench/gpu/build_tile_variants.py .device/tiles
    python3 bench/gpu/run_artifacts.py .device/tiles out/tiles.json   # on the GPU machine
"""

import sys

import fourfold
from fourfold.examples import programs as P

VARIANTS = {  # name -> (block tile [M, N, K step], thread tile); None: roller-construct's choice
    "model_64x128x8_4x8": None,
    "128x128x8_8x8": ("[128, 128, 8]", "[8, 8, 1]"),
    "64x64x8_4x4": ("[64, 64, 8]", "[4, 4, 1]"),
    "128x64x16_8x4": ("[128, 64, 16]", "[8, 4, 1]"),
    "64x128x16_4x8": ("[64, 128, 16]", "[4, 8, 1]"),
    "128x128x4_8x8": ("[128, 128, 4]", "[8, 8, 1]"),
    "32x256x8_2x16": ("[32, 256, 8]", "[2, 16, 1]"),
    "64x256x8_4x16": ("[64, 256, 8]", "[4, 16, 1]"),
}


def main(out_dir, chip="sm_90"):
    src = P.matmul(4096, 4096, 4096)
    for name, tile in VARIANTS.items():
        text = src if tile is None else src.replace(
            "linalg.matmul ins", "linalg.matmul {roller.tile = #roller.rtile<shared = %s, register = %s>} ins" % tile)
        art = fourfold.compile(text, target=chip, assemble=True)
        art.save(f"{out_dir}/matmul_4096+{name}")
        print(name, art.modules[-1].ptxas_info.splitlines()[-1] if art.modules[-1].ptxas_info else "")


if __name__ == "__main__":
    main(*sys.argv[1:])
